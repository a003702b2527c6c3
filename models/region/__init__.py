"""Above the districts: a region's figures side by side, for its regional viewers."""
