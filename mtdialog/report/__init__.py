"""``mtdialog report``: one self-contained HTML page (and a JSON file) of a training run.

The page holds the run's recipe, package versions and wall time, the test tables of ``mtdialog
evaluate`` beside the baselines, plots of the run log (matplotlib SVG), and a gallery of test
sessions answered by the run's checkpoint, images inline and each discourse parse drawn as arcs
(:mod:`mtdialog.report.arcs`), gold beside predicted. Nothing in it needs the network.
"""

from mtdialog.report.arcs import arcs_svg
from mtdialog.report.build import build_report

__all__ = ["arcs_svg", "build_report"]
