"""``python -m generator`` is the ``adgen`` command."""

from generator.orchestration.cli import main

main()
