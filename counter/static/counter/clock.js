// Time on the terminal: durations as m:ss and the visit's time-limit state. The state rule is
// hall/domain/timelimit.py's (boundaries belong to the later state); the server sends the
// limit, the warning point and its clock, the page only counts on from there.

export function limitState(elapsedS, warningS, limitS) {
  if (!limitS || limitS <= 0) return "none";
  if (elapsedS >= limitS) return "over";
  if (warningS && warningS > 0 && warningS < limitS && elapsedS >= warningS) return "warning";
  return "ok";
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(Math.abs(seconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function minutes(seconds) {
  return Math.max(0, Math.round(seconds / 60));
}

// The server's clock, as seen from here: every board carries the server's "now".
export class ServerClock {
  constructor() {
    this.offset = 0;
  }

  sync(serverIso) {
    const at = Date.parse(serverIso);
    if (Number.isFinite(at)) this.offset = at - Date.now();
  }

  now() {
    return Date.now() + this.offset;
  }

  since(iso) {
    return (this.now() - Date.parse(iso)) / 1000;
  }
}
