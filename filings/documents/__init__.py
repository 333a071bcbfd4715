"""Documents: content inspection, virus scanning, storing, removing and downloading."""
