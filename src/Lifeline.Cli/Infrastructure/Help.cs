using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Lifeline.Cli;

/// <summary>Examples per command, shown as an "Examples:" section at the end of that command's <c>--help</c>.</summary>
internal static class Help
{
    private static readonly ConditionalWeakTable<Command, string[]> s_examples = [];

    /// <summary>Sets <paramref name="command"/>'s examples and returns it.</summary>
    public static T WithExamples<T>(this T command, params string[] examples)
        where T : Command
    {
        s_examples.AddOrUpdate(command, examples);
        return command;
    }

    /// <summary>Makes <c>--help</c> on any command under <paramref name="root"/> end with that command's examples.</summary>
    public static void Install(RootCommand root)
    {
        var option = root.Options.OfType<HelpOption>().Single();
        option.Action = new ExamplesHelpAction((HelpAction)option.Action!);
    }

    private sealed class ExamplesHelpAction(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var result = inner.Invoke(parseResult);
            if (s_examples.TryGetValue(parseResult.CommandResult.Command, out var examples))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(examples.Length == 1 ? "Example:" : "Examples:");
                foreach (var example in examples)
                {
                    output.WriteLine($"  {example}");
                }

                output.WriteLine();
            }

            return result;
        }
    }
}
