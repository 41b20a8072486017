"""citycases: data, metrics and charts behind the comparative city case-study book."""
