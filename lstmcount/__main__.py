"""``python -m lstmcount``: the same as the ``lstmcount`` command."""

from lstmcount.cli import entry

if __name__ == "__main__":
    entry()
