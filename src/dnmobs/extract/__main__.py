"""`python -m dnmobs.extract > docs/taxonomy.md`: the taxonomy as Markdown, from the data file."""

import sys

from dnmobs.extract.taxonomy import render_markdown

sys.stdout.write(render_markdown())
