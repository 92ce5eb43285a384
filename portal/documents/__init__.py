"""Word and Excel output shared by every report builder."""
