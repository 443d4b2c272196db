"""The ``adgen`` command: the only place that parses arguments, sets up logging and maps errors to exit codes.

Exit codes: 0 every row succeeded; 1 some rows failed (each reported); 2 usage or configuration
error (nothing was run); 130 interrupted.
"""

from __future__ import annotations

import logging
import sys

import click

from generator.orchestration.cli.authoring import plan, preview, templates
from generator.orchestration.cli.batch import batch
from generator.orchestration.cli.run import render_command, run
from generator.orchestration.cli.studio import studio


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.version_option(package_name="adgen")
def main(verbose: bool) -> None:
    """adgen turns product catalogs into short ad videos through templates."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    for noisy in (
        "botocore",
        "boto3",
        "s3transfer",
        "urllib3",
        "apscheduler",
    ):  # their INFO lines are not the user's business
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


for command in (run, render_command, plan, preview, templates, batch, studio):
    main.add_command(command)
