"""The human handoff.

This package is the live queue, a library: Desk (desk.py) over the Lua scripts (scripts.py, lua/),
with the handoffs (queue.py), the agents (agents.py), the timers (timers.py), every Redis key
(keys.py) and the payloads other processes send (payloads.py). The bot's actions and the channels
use it. Above it stand record/ (the durable SQL record: models, copier, rebuild, audit) and web/
(the helpdesk service: app factory, API, console, sweeper, command line), which nothing imports but
entry points.
"""
