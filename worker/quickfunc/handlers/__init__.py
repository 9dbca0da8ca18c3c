"""One small handler per host message kind; each takes (message, state) and answers or schedules."""
