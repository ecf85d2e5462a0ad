using System.CommandLine;
using System.Numerics;

namespace Lifeline.Cli;

/// <summary>Range checks for numeric options that report a parse error instead of throwing on an unparsable value.</summary>
internal static class OptionRanges
{
    public static Option<T> InRange<T>(this Option<T> option, T min, T max)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || !T.TryParse(result.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return; // absent (the default applies) or unparsable (the parser reports that itself)
            }

            if (value < min || value > max)
            {
                result.AddError($"{option.Name} must be between {min} and {max}");
            }
        });
        return option;
    }
}
