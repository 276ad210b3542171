from expereo_tui.cli.main import main

raise SystemExit(main())
