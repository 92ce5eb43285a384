"""Sanitation (爱国卫生): campaigns, zones, scored inspections, rectifications and rankings."""

from pathlib import Path

from portal.apps import Manifest

MANIFEST = Manifest(
    code="sanitation",
    area="san",
    title_zh="爱国卫生",
    title_en="Sanitation",
    order=30,
    indicators="portal.programmes.sanitation.indicators:TEMPLATES",
    locales=Path(__file__).parent / "locales",
)
