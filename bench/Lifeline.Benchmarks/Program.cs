using System.Reflection;
using BenchmarkDotNet.Running;
using Lifeline.Benchmarks;

// `dotnet run -c Release --project bench/Lifeline.Benchmarks -- <name> [args]` runs one bounded console
// benchmark (every IBenchCommand in this assembly, by name); `-- --list` names them; anything else goes to
// BenchmarkDotNet's switcher (`-- --filter '*Leak*'`).
var commands = typeof(Program).Assembly.GetTypes()
    .Where(t => typeof(IBenchCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchCommand)Activator.CreateInstance(t)!)
    .ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

if (args is ["--list"])
{
    foreach (var command in commands.Values.OrderBy(c => c.Name))
    {
        Console.WriteLine($"{command.Name,-24} {command.Description}");
    }

    return 0;
}

if (args.Length > 0 && commands.TryGetValue(args[0], out var chosen))
{
    return await chosen.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

/// <summary>Entry point type.</summary>
internal sealed partial class Program;
