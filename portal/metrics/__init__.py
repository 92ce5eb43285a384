"""Indicators as data, their built-in templates, and targets with progress."""

from portal.apps import Manifest, PageDef

MANIFEST = Manifest(
    code="metrics",
    title_zh="目标与指标",
    title_en="Targets and indicators",
    order=0,
    programme=False,
    specs=("portal.metrics.indicators", "portal.metrics.targets"),
    pages=(
        PageDef(
            "targets",
            "pages/targets.py",
            "nav.targets",
            ":material/track_changes:",
            "nav.section.programmes",
            url_path="targets",
            order=90,
        ),
    ),
)
