"""The programme areas, one package each, found by portal.apps through their MANIFEST."""
