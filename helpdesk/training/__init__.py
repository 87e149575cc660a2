"""The trainer's loop: what the bot missed (harvest.py), the inbox and its decisions (inbox.py), and the examples
accepted into the training data (examples.py)."""
