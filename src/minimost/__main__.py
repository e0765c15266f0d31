from minimost.cli import main

main()
