using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Hosting;

/// <summary>
/// <see cref="HubOptions.Validate"/> as an options validator: with <c>ValidateOnStart</c>, an invalid option fails the
/// host's start with an <see cref="OptionsValidationException"/> naming it, before anything listens or opens a store.
/// </summary>
internal sealed class HubOptionsValidator : IValidateOptions<HubOptions>
{
    public ValidateOptionsResult Validate(string? name, HubOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException exception)
        {
            // One line: ArgumentOutOfRangeException adds "Actual value was ..." on a line of its own.
            return ValidateOptionsResult.Fail(exception.Message.ReplaceLineEndings(" "));
        }
    }
}
