using System.CommandLine;

namespace Lifeline.Cli.Commands;

internal static class DemoCommand
{
    public static Command Create(CommandContext context)
    {
        var command = new Command("demo", "(coming)").WithExamples("lifeline demo");
        command.SetAction(new Func<ParseResult, int>(_ => throw new CliException("'demo' is not built yet")));
        return command;
    }
}
