"""Pictures: sheet, cell, tiling and toolpath previews drawn with matplotlib."""
