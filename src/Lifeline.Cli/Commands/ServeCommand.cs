using System.CommandLine;

namespace Lifeline.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("serve", "(coming)").WithExamples("lifeline serve");
        command.SetAction(new Func<ParseResult, int>(_ => throw new CliException("'serve' is not built yet")));
        return command;
    }
}
