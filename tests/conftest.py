import os

from hypothesis import settings

# In CI (CI=true) property tests replay a fixed sequence of draws, so a landing
# never hinges on a draw nobody has seen; locally they explore new draws each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
