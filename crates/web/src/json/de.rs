//! From a value `JSON.parse` made to a Rust type.

use js_sys::{Array, Object, Reflect};
use serde::de::value::StringDeserializer;
use serde::de::{
    self, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};
use wasm_bindgen::{JsCast, JsValue};

use super::{Invalid, MAX_SAFE};

/// A value `JSON.parse` made.
pub(super) struct Value(pub(super) JsValue);

impl Value {
    fn is_nothing(&self) -> bool {
        self.0.is_null() || self.0.is_undefined()
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Invalid;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        let value = self.0;
        if value.is_null() || value.is_undefined() {
            return visitor.visit_unit();
        }
        if let Some(flag) = value.as_bool() {
            return visitor.visit_bool(flag);
        }
        if let Some(number) = value.as_f64() {
            // Whole numbers only: no field of the API is a fraction.
            if number.fract() != 0.0 || number.abs() > MAX_SAFE {
                return Err(Invalid);
            }
            return if number >= 0.0 {
                visitor.visit_u64(number as u64)
            } else {
                visitor.visit_i64(number as i64)
            };
        }
        if let Some(text) = value.as_string() {
            return visitor.visit_string(text);
        }
        if Array::is_array(&value) {
            return visitor.visit_seq(Items {
                array: value.unchecked_into(),
                next: 0,
            });
        }
        if value.is_object() {
            let keys = Object::keys(value.unchecked_ref::<Object>());
            return visitor.visit_map(Fields {
                object: value,
                keys,
                next: 0,
            });
        }
        Err(Invalid)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        if self.is_nothing() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        if let Some(name) = self.0.as_string() {
            let name: StringDeserializer<Invalid> = name.into_deserializer();
            return visitor.visit_enum(name);
        }
        // `{"variant": content}`.
        if !self.0.is_object() || Array::is_array(&self.0) {
            return Err(Invalid);
        }
        let keys = Object::keys(self.0.unchecked_ref::<Object>());
        if keys.length() != 1 {
            return Err(Invalid);
        }
        let name = keys.get(0);
        let content = Reflect::get(&self.0, &name).map_err(|_| Invalid)?;
        visitor.visit_enum(Variant {
            name: name.as_string().ok_or(Invalid)?,
            content: Value(content),
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// An array's items, in order.
struct Items {
    array: Array,
    next: u32,
}

impl<'de> SeqAccess<'de> for Items {
    type Error = Invalid;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Invalid> {
        if self.next >= self.array.length() {
            return Ok(None);
        }
        let item = self.array.get(self.next);
        self.next += 1;
        seed.deserialize(Value(item)).map(Some)
    }
}

/// An object's fields, in `Object.keys` order.
struct Fields {
    object: JsValue,
    keys: Array,
    next: u32,
}

impl<'de> MapAccess<'de> for Fields {
    type Error = Invalid;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Invalid> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.next).as_string().ok_or(Invalid)?;
        let key: StringDeserializer<Invalid> = key.into_deserializer();
        seed.deserialize(key).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Invalid> {
        let key = self.keys.get(self.next);
        self.next += 1;
        let value = Reflect::get(&self.object, &key).map_err(|_| Invalid)?;
        seed.deserialize(Value(value))
    }
}

/// An enum variant written `{"variant": content}`.
struct Variant {
    name: String,
    content: Value,
}

impl<'de> EnumAccess<'de> for Variant {
    type Error = Invalid;
    type Variant = Value;

    fn variant_seed<N: DeserializeSeed<'de>>(self, seed: N) -> Result<(N::Value, Value), Invalid> {
        let name: StringDeserializer<Invalid> = self.name.into_deserializer();
        Ok((seed.deserialize(name)?, self.content))
    }
}

impl<'de> VariantAccess<'de> for Value {
    type Error = Invalid;

    fn unit_variant(self) -> Result<(), Invalid> {
        if self.is_nothing() {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Invalid> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Invalid> {
        de::Deserializer::deserialize_any(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        de::Deserializer::deserialize_any(self, visitor)
    }
}
