"""Bulk order import: the CSV layouts of Shopify, WooCommerce and our generic one (``formats``),
rows read, grouped into orders and validated (``rows``), orders written a batch at a time with
the result of the per-order upserts (``bulk``), the whole driven by ``csv_import`` and the
``zabota import-orders`` command. ``sample`` writes a generated export for the tests and the
benchmark. See docs/commerce-import.md."""
