"""``python -m auditnlp``: the command line."""

from auditnlp._entry import main

main()
