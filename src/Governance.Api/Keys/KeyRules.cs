using FluentValidation;

namespace Governance.Api.Keys;

internal static class KeyRules
{
    public const int MaxNameLength = 200;

    /// <summary>App and model names: printable, no surrounding whitespace, bounded.</summary>
    public static IRuleBuilderOptions<T, string> IsName<T>(this IRuleBuilder<T, string> rule) =>
        rule.NotEmpty().MaximumLength(MaxNameLength)
            .Must(v => v is null || (v.Trim() == v && !v.Any(char.IsControl)))
            .WithMessage("'{PropertyName}' must not have surrounding whitespace or control characters.");

    public static void ValidModels<T>(this IRuleBuilder<T, IReadOnlyList<string>> rule) =>
        rule.NotEmpty().WithMessage("'models' must list at least one model name (or \"*\" for all models).")
            .ForEach(m => m.IsName());
}
