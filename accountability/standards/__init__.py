"""Service standards: declared, measured from the case events, published.

Importing the package registers the docket's "at risk" filter (`docket`): the composition
root imports it with the rest of ``accountability``.
"""

from accountability.standards import docket as docket
