"""The tourist guide's data: the catalogue of sights (names, places, nearest-N), opening hours, getting there."""
