"""The region's JSON API under /api/region: the same reads the pages show, for the
account's halls only (``auth.required`` then a service that names the account's login).
Errors are the hall's: ``{"error": {"code", "message", "field"}}`` with its status."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from hall.services.context import read
from hall.services.region import bulletin, live, reports
from region import auth
from region.context import region_context
from region.inputs import day, month

bp = Blueprint("region_api", __name__, url_prefix="/api/region")


@bp.get("/board")
def board():
    login = auth.required().login
    return jsonify({"halls": read(region_context(), lambda u: live.board(u, login))})


@bp.get("/halls/<uid>")
def hall(uid: str):
    login = auth.required().login
    return jsonify(read(region_context(), lambda u: live.hall(u, login, uid)))


@bp.get("/reports")
def report():
    login = auth.required().login
    args = request.args
    on, end = day(args.get("on"), "on"), day(args.get("end"), "end", required=False)
    return jsonify(read(region_context(), lambda u: reports.report(
        u, login, period=args.get("period") or "month", on=on, end=end,
        group=args.get("group") or "hall")))


@bp.get("/bulletin")
def month_bulletin():
    login = auth.required().login
    first = month(request.args.get("month"))
    return jsonify(read(region_context(), lambda u: bulletin.bulletin(u, login, first)))
