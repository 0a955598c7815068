"""投诉建议 (issue 19): ``intake`` from every channel, ``handling`` by supervisors (take,
reply, the complainant's answer, close), ``views`` for supervisors and the complainant."""
