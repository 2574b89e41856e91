//! From a Rust value to one `JSON.stringify` writes: objects, arrays,
//! strings, whole numbers, booleans and null, which is all the API reads.

use js_sys::{Array, Object, Reflect};
use serde::ser::{
    self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeTuple,
    SerializeTupleStruct,
};
use wasm_bindgen::JsValue;

use super::{Invalid, MAX_SAFE};

/// The serializer: each value becomes a `JsValue`.
pub(super) struct ToJs;

fn whole(number: f64) -> Result<JsValue, Invalid> {
    if number.abs() > MAX_SAFE {
        return Err(Invalid);
    }
    Ok(JsValue::from_f64(number))
}

/// `{name: value}`, how an enum's variant with content is written.
fn tagged(name: &str, value: JsValue) -> Result<JsValue, Invalid> {
    let object = Object::new();
    Reflect::set(&object, &JsValue::from_str(name), &value).map_err(|_| Invalid)?;
    Ok(object.into())
}

impl ser::Serializer for ToJs {
    type Ok = JsValue;
    type Error = Invalid;
    type SerializeSeq = Items;
    type SerializeTuple = Items;
    type SerializeTupleStruct = Items;
    type SerializeTupleVariant = Impossible<JsValue, Invalid>;
    type SerializeMap = Fields;
    type SerializeStruct = Fields;
    type SerializeStructVariant = Impossible<JsValue, Invalid>;

    fn serialize_bool(self, v: bool) -> Result<JsValue, Invalid> {
        Ok(JsValue::from_bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<JsValue, Invalid> {
        whole(f64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<JsValue, Invalid> {
        whole(f64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<JsValue, Invalid> {
        whole(f64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<JsValue, Invalid> {
        whole(v as f64)
    }
    fn serialize_u8(self, v: u8) -> Result<JsValue, Invalid> {
        whole(f64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<JsValue, Invalid> {
        whole(f64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<JsValue, Invalid> {
        whole(f64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<JsValue, Invalid> {
        whole(v as f64)
    }
    /// No field of the API is a fraction.
    fn serialize_f32(self, _: f32) -> Result<JsValue, Invalid> {
        Err(Invalid)
    }
    fn serialize_f64(self, _: f64) -> Result<JsValue, Invalid> {
        Err(Invalid)
    }
    fn serialize_char(self, v: char) -> Result<JsValue, Invalid> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<JsValue, Invalid> {
        Ok(JsValue::from_str(v))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<JsValue, Invalid> {
        Err(Invalid)
    }
    fn serialize_none(self) -> Result<JsValue, Invalid> {
        Ok(JsValue::NULL)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<JsValue, Invalid> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<JsValue, Invalid> {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<JsValue, Invalid> {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<JsValue, Invalid> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<JsValue, Invalid> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<JsValue, Invalid> {
        tagged(variant, value.serialize(ToJs)?)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Items, Invalid> {
        Ok(Items(Array::new()))
    }
    fn serialize_tuple(self, _: usize) -> Result<Items, Invalid> {
        Ok(Items(Array::new()))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Items, Invalid> {
        Ok(Items(Array::new()))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Invalid> {
        Err(Invalid)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Fields, Invalid> {
        Ok(Fields::default())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields, Invalid> {
        Ok(Fields::default())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Invalid> {
        Err(Invalid)
    }
}

/// An array being filled.
pub(super) struct Items(Array);

impl SerializeSeq for Items {
    type Ok = JsValue;
    type Error = Invalid;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Invalid> {
        self.0.push(&value.serialize(ToJs)?);
        Ok(())
    }
    fn end(self) -> Result<JsValue, Invalid> {
        Ok(self.0.into())
    }
}

impl SerializeTuple for Items {
    type Ok = JsValue;
    type Error = Invalid;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Invalid> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<JsValue, Invalid> {
        SerializeSeq::end(self)
    }
}

impl SerializeTupleStruct for Items {
    type Ok = JsValue;
    type Error = Invalid;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Invalid> {
        SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<JsValue, Invalid> {
        SerializeSeq::end(self)
    }
}

/// An object being filled; a map's keys must be strings.
pub(super) struct Fields {
    object: Object,
    key: Option<JsValue>,
}

impl Default for Fields {
    fn default() -> Self {
        Self {
            object: Object::new(),
            key: None,
        }
    }
}

impl Fields {
    fn set(&self, key: &JsValue, value: JsValue) -> Result<(), Invalid> {
        Reflect::set(&self.object, key, &value)
            .map(drop)
            .map_err(|_| Invalid)
    }
}

impl SerializeMap for Fields {
    type Ok = JsValue;
    type Error = Invalid;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Invalid> {
        let key = key.serialize(ToJs)?;
        if !key.is_string() {
            return Err(Invalid);
        }
        self.key = Some(key);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Invalid> {
        let key = self.key.take().ok_or(Invalid)?;
        self.set(&key, value.serialize(ToJs)?)
    }
    fn end(self) -> Result<JsValue, Invalid> {
        Ok(self.object.into())
    }
}

impl SerializeStruct for Fields {
    type Ok = JsValue;
    type Error = Invalid;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Invalid> {
        self.set(&JsValue::from_str(key), value.serialize(ToJs)?)
    }
    fn skip_field(&mut self, _: &'static str) -> Result<(), Invalid> {
        Ok(())
    }
    fn end(self) -> Result<JsValue, Invalid> {
        Ok(self.object.into())
    }
}
