"""``python -m generator`` is the ``adgen`` command."""

from generator.cli import main

main()
