using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Lifeline.Cli.Commands;

/// <summary>
/// Renders <c>/v1/stats</c> generically, because its fields only grow (docs/protocol.md): top-level figures in one
/// table, each object of figures in a two-column table, each list or map of records (clients, subscribers) in a
/// table with one column per field.
/// </summary>
internal static class StatsTables
{
    public static IEnumerable<IRenderable> Build(JsonElement root, bool terminal)
    {
        var border = terminal ? TableBorder.Rounded : TableBorder.Ascii;
        var figures = NewTable("hub", border, "figure", "value");
        var rest = new List<IRenderable>();
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (IsScalar(value) || value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(IsScalar) && value.GetArrayLength() > 0)
            {
                figures.AddRow(Escape(Words(property.Name)), Escape(Format(value)));
            }
            else if (value.ValueKind == JsonValueKind.Object && value.EnumerateObject().All(p => IsScalar(p.Value)))
            {
                var table = NewTable(Words(property.Name), border, "name", "value");
                foreach (var item in value.EnumerateObject())
                {
                    table.AddRow(Escape(item.Name), Escape(Format(item.Value)));
                }

                rest.Add(Empty(table, value.EnumerateObject().Any()));
            }
            else if (value.ValueKind == JsonValueKind.Object)
            {
                rest.Add(Records(Words(property.Name), border, value.EnumerateObject().Select(p => ((string?)p.Name, p.Value))));
            }
            else if (value.ValueKind == JsonValueKind.Array)
            {
                rest.Add(Records(Words(property.Name), border, value.EnumerateArray().Select(v => ((string?)null, v))));
            }
        }

        return [figures, .. rest];
    }

    private static IRenderable Records(string title, TableBorder border, IEnumerable<(string? Key, JsonElement Value)> records)
    {
        var rows = records.ToList();
        var columns = rows.Where(r => r.Value.ValueKind == JsonValueKind.Object)
            .SelectMany(r => r.Value.EnumerateObject().Select(p => p.Name)).Distinct().ToList();
        var keyed = rows.Any(r => r.Key is not null);
        var table = NewTable(title, border, [.. keyed ? ["key"] : Array.Empty<string>(), .. columns.Select(Words)]);
        foreach (var (key, value) in rows)
        {
            var cells = new List<string>();
            if (keyed)
            {
                cells.Add(key ?? string.Empty);
            }

            cells.AddRange(columns.Select(c => value.ValueKind == JsonValueKind.Object && value.TryGetProperty(c, out var cell) ? Format(cell) : string.Empty));
            if (columns.Count == 0)
            {
                cells.Add(Format(value));
            }

            table.AddRow([.. cells.Select(Escape)]);
        }

        return Empty(table, rows.Count > 0);
    }

    private static Table NewTable(string title, TableBorder border, params string[] columns)
    {
        var table = new Table { Border = border, Title = new TableTitle(Escape(title)) };
        foreach (var column in columns.Length == 0 ? ["value"] : columns)
        {
            table.AddColumn(new TableColumn(Escape(column)));
        }

        return table;
    }

    private static IRenderable Empty(Table table, bool any) => any ? table : new Markup($"{Escape(table.Title?.Text ?? string.Empty)}: (none){Environment.NewLine}");

    private static bool IsScalar(JsonElement value) => value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array);

    private static string Format(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? string.Empty,
        JsonValueKind.Number when value.TryGetInt64(out var whole) => whole.ToString("N0", CultureInfo.InvariantCulture),
        JsonValueKind.Number => value.GetDouble().ToString("N1", CultureInfo.InvariantCulture),
        JsonValueKind.True => "yes",
        JsonValueKind.False => "no",
        JsonValueKind.Null => "-",
        JsonValueKind.Array when value.EnumerateArray().All(IsScalar) => string.Join(", ", value.EnumerateArray().Select(Format)),
        _ => value.GetRawText(),
    };

    /// <summary>camelCase to words: <c>activeSubscribers</c> is "active subscribers".</summary>
    private static string Words(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }

    private static string Escape(string text) => Markup.Escape(text);
}
