"""The suite's power test: deliberately broken (and harmlessly different) reference servers."""
