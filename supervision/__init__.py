"""Organisation life and supervision (管理平台): meetings and lessons (三会一课), the work
ledger (电子台账), problems handed down for rectification (问题移交单) and the selectors the
supervision dashboard is assembled from."""
