import StrongroomCLI

await StrongroomCommand.runAsRoot()
