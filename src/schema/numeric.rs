//! OpenAPI's numeric formats (`int32`, `int64`, `float`, `double`): their ranges, and the
//! validator options every stage compiles schemas with, so the formats are asserted alike by
//! the generator, the sandbox and the checks.
//!
//! The `jsonschema` crate's `format` keyword knows only string formats and lets any number
//! through, so a value outside `int32` would be judged valid and sent as such. [`options`]
//! replaces the keyword: a numeric format checks its range, any other format is handed to
//! the crate's own `format` validator unchanged.

use jsonschema::paths::Location;
use jsonschema::{Keyword as CustomKeyword, ValidationError, ValidationOptions, Validator};
use serde_json::{json, Map, Value};

/// One of OpenAPI's numeric formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericFormat {
    /// A signed 32-bit integer.
    Int32,
    /// A signed 64-bit integer.
    Int64,
    /// A single-precision float (its finite range).
    Float,
    /// A double-precision float: any JSON number a parser reads as finite.
    Double,
}

impl NumericFormat {
    /// The format named `name`, if it is a numeric one.
    pub fn parse(name: &str) -> Option<NumericFormat> {
        match name {
            "int32" => Some(NumericFormat::Int32),
            "int64" => Some(NumericFormat::Int64),
            "float" => Some(NumericFormat::Float),
            "double" => Some(NumericFormat::Double),
            _ => None,
        }
    }

    /// The format a schema's `format` keyword names, if it is a numeric one.
    pub fn of(map: &Map<String, Value>) -> Option<NumericFormat> {
        map.get("format")
            .and_then(Value::as_str)
            .and_then(NumericFormat::parse)
    }

    /// The name as written in a schema.
    pub fn name(self) -> &'static str {
        match self {
            NumericFormat::Int32 => "int32",
            NumericFormat::Int64 => "int64",
            NumericFormat::Float => "float",
            NumericFormat::Double => "double",
        }
    }

    /// The lowest and highest admitted values, as written in JSON (exact for the integers).
    pub fn limits(self) -> Option<(Value, Value)> {
        match self {
            NumericFormat::Int32 => Some((json!(i32::MIN), json!(i32::MAX))),
            NumericFormat::Int64 => Some((json!(i64::MIN), json!(i64::MAX))),
            NumericFormat::Float => Some((json!(-f32::MAX as f64), json!(f32::MAX as f64))),
            NumericFormat::Double => None,
        }
    }

    /// The values just outside the range that a JSON number can carry exactly: `int32`'s
    /// `2^31` and `-2^31 - 1`, `int64`'s `2^63` (a big integer a server must refuse, not crash
    /// on; `-2^63 - 1` has no exact form in a parser without arbitrary precision), a `float`
    /// past `f32::MAX`. None for `double`.
    pub fn just_outside(self) -> Vec<Value> {
        match self {
            NumericFormat::Int32 => vec![
                json!(i64::from(i32::MAX) + 1),
                json!(i64::from(i32::MIN) - 1),
            ],
            NumericFormat::Int64 => vec![json!(i64::MAX as u64 + 1)],
            NumericFormat::Float => vec![json!(3.5e38), json!(-3.5e38)],
            NumericFormat::Double => Vec::new(),
        }
    }

    /// The range as `f64`s, for solvers that reason in floats (`int64`'s ends round to
    /// `±2^63`, so its candidates are still checked by [`NumericFormat::admits`]).
    pub fn range(self) -> Option<(f64, f64)> {
        match self {
            NumericFormat::Int32 => Some((f64::from(i32::MIN), f64::from(i32::MAX))),
            NumericFormat::Int64 => Some((i64::MIN as f64, i64::MAX as f64)),
            NumericFormat::Float => Some((-f32::MAX as f64, f32::MAX as f64)),
            NumericFormat::Double => None,
        }
    }

    /// Whether `value` is within the format; anything but a number is (`type` judges it).
    pub fn admits(self, value: &Value) -> bool {
        let Value::Number(number) = value else {
            return true;
        };
        match self {
            NumericFormat::Int32 => {
                number.as_i64().is_some_and(|n| i32::try_from(n).is_ok())
                    || number
                        .as_f64()
                        .is_some_and(|x| x.fract() == 0.0 && x.abs() <= f64::from(i32::MAX))
            }
            NumericFormat::Int64 => {
                number.as_i64().is_some()
                    || (number.as_u64().is_none()
                        && number.as_f64().is_some_and(|x| {
                            x.fract() == 0.0 && x >= i64::MIN as f64 && x < i64::MAX as f64
                        }))
            }
            NumericFormat::Float => number.as_f64().is_some_and(|x| x.abs() <= f32::MAX as f64),
            NumericFormat::Double => number.as_f64().is_some_and(f64::is_finite),
        }
    }
}

/// Validator options with formats asserted, the numeric ones included: what every stage
/// compiles schemas with.
pub fn options() -> ValidationOptions<'static> {
    jsonschema::options()
        .should_validate_formats(true)
        .with_keyword("format", compile_format)
}

fn compile_format<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _path: Location,
) -> Result<Box<dyn for<'i> CustomKeyword<'i>>, ValidationError<'a>> {
    if let Some(format) = value.as_str().and_then(NumericFormat::parse) {
        return Ok(Box::new(NumericCheck(format)));
    }
    // Any other format: the crate's own validator, compiled alone.
    let own = jsonschema::options()
        .should_validate_formats(true)
        .build(&json!({ "format": value }))
        .map_err(ValidationError::to_owned)?;
    Ok(Box::new(StringFormat(own)))
}

/// A numeric format's range check.
struct NumericCheck(NumericFormat);

impl<'i> CustomKeyword<'i> for NumericCheck {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        if self.0.admits(instance) {
            return Ok(());
        }
        Err(ValidationError::custom(format!(
            "{instance} is not a valid \"{}\"",
            self.0.name()
        )))
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.0.admits(instance)
    }
}

/// Any other format, checked by the `jsonschema` crate.
struct StringFormat(Validator);

impl<'i> CustomKeyword<'i> for StringFormat {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        // The crate's own error, so its kind stays `Format` (the wrapper sets the place).
        self.0.validate(instance)
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.0.is_valid(instance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validator(format: &str) -> Validator {
        options()
            .build(&json!({ "type": ["integer", "number", "string"], "format": format }))
            .expect("compiles")
    }

    #[test]
    fn int32_admits_its_range_and_refuses_just_past_it() {
        let int32 = validator("int32");
        assert!(int32.is_valid(&json!(2147483647)));
        assert!(int32.is_valid(&json!(-2147483648)));
        assert!(int32.is_valid(&json!(14037.0)));
        assert!(!int32.is_valid(&json!(2147483648_i64)));
        assert!(!int32.is_valid(&json!(-2147483649_i64)));
        assert!(!int32.is_valid(&json!(9007199254740991_i64)));
    }

    #[test]
    fn int64_refuses_two_to_the_63() {
        let int64 = validator("int64");
        assert!(int64.is_valid(&json!(i64::MAX)));
        assert!(int64.is_valid(&json!(i64::MIN)));
        assert!(!int64.is_valid(&json!(9223372036854775808_u64)));
        assert!(!int64.is_valid(&json!(1.0e19)));
    }

    #[test]
    fn float_refuses_past_f32_and_string_formats_still_apply() {
        assert!(!validator("float").is_valid(&json!(3.5e38)));
        assert!(validator("float").is_valid(&json!(1.5)));
        assert!(!validator("date").is_valid(&json!("2023-13-45")));
        assert!(validator("date").is_valid(&json!("2023-11-07")));
        assert!(!validator("idn-email").is_valid(&json!("specgate")));
        assert!(validator("unknown-format").is_valid(&json!("anything")));
    }

    #[test]
    fn each_value_just_outside_is_refused_and_each_limit_admitted() {
        for format in [
            NumericFormat::Int32,
            NumericFormat::Int64,
            NumericFormat::Float,
        ] {
            let (lo, hi) = format.limits().unwrap();
            assert!(format.admits(&lo) && format.admits(&hi), "{format:?}");
            for outside in format.just_outside() {
                assert!(!format.admits(&outside), "{format:?} {outside}");
            }
        }
    }
}
