"""好差评: one rating per visit at its window, and the follow-up (整改) of a bad one."""
