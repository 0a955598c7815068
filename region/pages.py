"""The region's pages: sign-in, the change of a one-time password, the board (with each
hall's own board a click away), one hall, reports and the 月通报. Thin: each reads the
account (``auth.current``), calls one service with the account's login, renders. Forms post
with a CSRF token; no script, so the hall's Content-Security-Policy holds as it is."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from flask_babel import gettext

from hall.domain.errors import DomainError
from hall.domain.passwords import MIN_LENGTH
from hall.services.context import read
from hall.services.region import accounts, bulletin, live, reports
from hall.services.supervision import bulletin_xlsx
from hall.web import pdf
from hall.web.errors import status_of, translate
from hall.web.pages import fresh
from region import auth
from region.context import region_context
from region.inputs import day, month

bp = Blueprint("region", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/region")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZONE = ZoneInfo("Asia/Shanghai")  # the region's days, for the forms' defaults
NAV = (("board", "region.board_page"), ("reports", "region.reports_page"),
       ("bulletin", "region.bulletin_page"))


def _render(template: str, status: int = 200, **values):
    lang = session.get("lang") or ""
    if request.args.get("lang") in ("zh_CN", "en"):
        session["lang"] = lang = request.args["lang"]
    # "90%等候时长": a label whose translation holds a "%" cannot go through the templates'
    # _() (Jinja's new-style gettext formats every string), so it is translated here
    return fresh(render_template(template, account=auth.current(), nav=NAV,
                                 lang="en" if lang == "en" else "zh-CN",
                                 wait_p90_label=gettext("Wait p90 (min)"), **values), status)


def _page():
    """(account, None) when the page may be shown; else (None, the page to show)."""
    account = auth.current()
    if account is None:
        return None, _render("region/login.html", error=None)
    if account.must_change_password:
        return None, _render("region/password.html", forced=True, min_length=MIN_LENGTH,
                             error=None)
    return account, None


def _refused(err: DomainError, template: str, **values):
    return _render(template, status=status_of(err),
                   error={"field": err.field, "message": translate(err)}, **values)


def _today() -> date:
    return read(region_context(), lambda u: u.now.astimezone(ZONE).date())


@bp.get("/")
def home():
    return redirect(url_for("region.board_page"))


@bp.post("/login")
def login():
    form = request.form
    try:
        account = accounts.sign_in(region_context(), form.get("login", ""),
                                   form.get("password", ""), request.remote_addr)
    except DomainError as err:
        return _refused(err, "region/login.html")
    auth.start(account)
    return redirect(url_for("region.board_page"))


@bp.post("/logout")
def logout():
    auth.end()
    return redirect(url_for("region.board_page"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    account = auth.current()
    if account is None:
        return _render("region/login.html", error=None)
    values = {"forced": account.must_change_password, "min_length": MIN_LENGTH}
    if request.method == "GET":
        return _render("region/password.html", error=None, **values)
    try:
        version = accounts.change_password(region_context(), account.id,
                                           request.form.get("current", ""),
                                           request.form.get("new", ""), request.remote_addr)
    except DomainError as err:
        return _refused(err, "region/password.html", **values)
    auth.renew(version)
    return redirect(url_for("region.board_page"))


@bp.get("/board")
def board_page():
    account, refusal = _page()
    if refusal is not None:
        return refusal
    halls = read(region_context(), lambda u: live.board(u, account.login))
    return _render("region/board.html", active="board", halls=halls)


@bp.get("/halls/<uid>")
def hall_page(uid: str):
    account, refusal = _page()
    if refusal is not None:
        return refusal
    try:
        hall = read(region_context(), lambda u: live.hall(u, account.login, uid))
    except DomainError as err:
        return _refused(err, "region/error.html", title=gettext("Region board"))
    return _render("region/hall.html", active="board", hall=hall)


@bp.get("/reports")
def reports_page():
    account, refusal = _page()
    if refusal is not None:
        return refusal
    args = request.args
    form = {"period": args.get("period") or "month",
            "on": args.get("on") or _today().isoformat(), "end": args.get("end") or "",
            "group": args.get("group") or "hall"}
    try:
        data = read(region_context(), lambda u: reports.report(
            u, account.login, period=form["period"], on=day(form["on"], "on"),
            end=day(form["end"], "end", required=False), group=form["group"]))
    except DomainError as err:
        return _refused(err, "region/reports.html", active="reports", form=form, data=None)
    return _render("region/reports.html", active="reports", form=form, data=data,
                   error=None)


@bp.get("/bulletin")
def bulletin_page():
    account, refusal = _page()
    if refusal is not None:
        return refusal
    last = (_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    try:
        first = month(request.args.get("month") or last)
        data = read(region_context(), lambda u: bulletin.bulletin(u, account.login, first))
    except DomainError as err:
        return _refused(err, "region/error.html", title=gettext("Monthly bulletin"))
    name = f"bulletin-{data['month']}"
    if request.args.get("format") == "pdf":
        return pdf.bulletin_pdf("region/bulletin_body.html", f"{name}.pdf",
                                place=account.place, **data)
    if request.args.get("format") == "xlsx":
        title = f"{account.place}  {gettext('Monthly bulletin')} {data['month']}"
        book = bulletin_xlsx.to_xlsx(
            title, [(gettext("Service center"), gettext("Service center"), data["halls"])],
            data["total"], gettext)
        return Response(book, mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    return _render("region/bulletin.html", active="bulletin", **data)
