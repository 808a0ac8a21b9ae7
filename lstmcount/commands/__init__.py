"""The commands: click parses, the core computes, a renderer writes, output goes out in one place."""
