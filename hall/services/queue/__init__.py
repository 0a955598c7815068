"""The queue: issuing and cancelling tickets, calling and serving them, finishing and
transferring visits, appointments and booking, counted limits, and what a visitor is told
(people ahead, estimated wait, ``queue.stats``)."""
