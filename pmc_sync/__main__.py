from pmc_sync.cli import main

main()
