using System.Text.RegularExpressions;
using Lifeline.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Lifeline.Docs.Tests;

/// <summary>
/// Issue 15 point 4: every <c>```csharp</c> block of docs/ compiles, with the usings it shows, against the assemblies
/// the packages ship, in a console app and in a web app (their SDKs' implicit usings: a web app imports
/// Microsoft.Extensions.Logging, where a name such as <c>LogLevel</c> can clash). A block may use the names
/// DocContext.cs gives (<c>ct</c>, <c>client</c>, <c>builder</c>, ...); anything else it must declare or import.
/// </summary>
public partial class DocsCompileTests
{
    private static readonly string[] ConsoleUsings =
        ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static readonly string[] WebUsings =
    [
        .. ConsoleUsings, "System.Net.Http.Json", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http",
        "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting",
        "Microsoft.Extensions.Logging",
    ];

    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(path => path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToArray());

    public static TheoryData<string, string> Blocks()
    {
        var data = new TheoryData<string, string>();
        foreach (var block in DocBlock.ReadAll())
        {
            data.Add(block.Name, "console");
            data.Add(block.Name, "web");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void CSharpBlock_Compiles(string block, string app)
    {
        var doc = DocBlock.ReadAll().Single(b => b.Name == block);
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var code = CSharpSyntaxTree.ParseText(doc.Code, parse, path: doc.Name);
        var implicitUsings = CSharpSyntaxTree.ParseText(string.Concat((app == "web" ? WebUsings : ConsoleUsings).Select(u => $"global using global::{u};\n")), parse);
        var context = CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "DocContext.cs")) + "\n", parse);
        var contextUsing = CSharpSyntaxTree.ParseText("global using static Lifeline.Docs.Context.Given;\n", parse);
        var statements = code.GetRoot().DescendantNodes().OfType<GlobalStatementSyntax>().Any();
        var compilation = CSharpCompilation.Create(
            "DocBlock",
            [code, implicitUsings, context, contextUsing],
            References.Value,
            new CSharpCompilationOptions(statements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

        Assert.True(errors.Count == 0, $"{doc.Name} (line {doc.Line} of {doc.File}) in a {app} app:\n" + string.Join('\n', errors.Select(e => e.ToString())));
    }

    /// <summary>One <c>```csharp</c> block: its file, the line after its opening fence, and its code.</summary>
    private sealed partial record DocBlock(string File, int Line, int Index, string Code)
    {
        public string Name => $"{File}#{Index}";

        public static List<DocBlock> ReadAll()
        {
            var docs = Path.Combine(Repository.Root, "docs");
            var blocks = new List<DocBlock>();
            foreach (var path in Directory.GetFiles(docs, "*.md").Order(StringComparer.Ordinal))
            {
                var lines = System.IO.File.ReadAllLines(path);
                var index = 0;
                for (var i = 0; i < lines.Length; i++)
                {
                    if (!Fence().IsMatch(lines[i]))
                    {
                        continue;
                    }

                    var end = Array.FindIndex(lines, i + 1, l => l.TrimStart().StartsWith("```", StringComparison.Ordinal));
                    Assert.True(end > i, $"{path}: the block at line {i + 1} is not closed");
                    blocks.Add(new DocBlock($"docs/{Path.GetFileName(path)}", i + 2, ++index, string.Join('\n', lines[(i + 1)..end])));
                    i = end;
                }
            }

            return blocks;
        }

        [GeneratedRegex(@"^\s*```(csharp|cs|c#)\s*$")]
        private static partial Regex Fence();
    }
}
