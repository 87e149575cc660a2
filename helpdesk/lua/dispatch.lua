-- No arguments: assign waiting chats to agents with room (the sweeper's safety net). Returns the ids.
return dispatch()
