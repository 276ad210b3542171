from expereo_tui.cli import main

raise SystemExit(main())
