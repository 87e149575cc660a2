"""The shop's core, the ground floor of kefu: settings, shop rules, shop data, formats, hours, trust.

It imports nothing else of kefu's; everything else may import it (tests/test_layers.py).
"""
