"""Training (培训): programmes, sessions, rosters, attendance, scores and hours."""

from pathlib import Path

from portal.apps import Manifest

MANIFEST = Manifest(
    code="training",
    area="tr",
    title_zh="培训",
    title_en="Training",
    order=20,
    indicators="portal.programmes.training.indicators:TEMPLATES",
    locales=Path(__file__).parent / "locales",
)
