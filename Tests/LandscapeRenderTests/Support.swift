// Tests for the render module: PNGs decoded with cairo and checked pixel by pixel.
