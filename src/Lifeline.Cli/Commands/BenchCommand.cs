using System.CommandLine;

namespace Lifeline.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("bench", "(coming)").WithExamples("lifeline bench");
        command.SetAction(new Func<ParseResult, int>(_ => throw new CliException("'bench' is not built yet")));
        return command;
    }
}
