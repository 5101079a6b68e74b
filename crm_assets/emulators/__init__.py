"""`python -m crm_assets.emulators <source>`: one vendor's emulator as a sandbox.

The emulator the tests use, served on a port until stopped, for any tool to be pointed
at: the vendor's auth, envelopes, paging and rate limits, on seeded data
(README, "Sandbox"). `options.py` reads the command line, `sandboxes.py` builds each
source's emulator and says how a client reaches it, `__main__.py` serves it.
"""
