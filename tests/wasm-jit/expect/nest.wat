;; nest
;; block 0:
;;   0000000080000000  li a0,0
;; block 1:
;;   0000000080000004  li a1,10
;; block 2:
;;   0000000080000008  add a0,a0,a1
;;   000000008000000c  addi a1,a1,-1
;;   0000000080000010  bnez a1,0x80000008
;; block 3:
;;   0000000080000014  addi a2,a2,-1
;;   0000000080000018  bnez a2,0x80000004
;; block 4:
;;   000000008000001c  ret
(module
  (type (;0;) (func (param i32)))
  (type (;1;) (func (param i32 i64 i32 i64 i32) (result i32)))
  (import "e" "m" (memory (;0;) 0))
  (export "run" (func $run))
  (func $run (type 0) (param i32)
    (local i64 i64 i64 i64 i32 i32 i32 i64 i64 i64 i64)
    block $B0
      block $B1
        local.get 0
        i64.load offset=264
        local.tee 4
        i64.const -4096
        i64.and
        local.set 1
        local.get 4
        i32.wrap_i64
        i32.const 4095
        i32.and
        local.set 5
        local.get 0
        i64.load offset=272
        local.set 2
        local.get 0
        i32.load offset=280
        local.set 7
        loop $B2
          block $B3
            block $B4
              block $B5
                block $B6
                  local.get 5
                  i32.const 1
                  i32.shr_u
                  br_table $B5 $B6 $B4 $B6 $B4 $B6 $B6 $B6 $B6 $B6 $B4 $B6 $B6 $B6 $B3 $B6
                end
                local.get 0
                local.get 1
                local.get 5
                i64.extend_i32_u
                i64.add
                i64.store offset=264
                local.get 0
                local.get 2
                i64.store offset=272
                br $B1
              end
              local.get 2
              i64.const 1
              i64.sub
              local.tee 2
              i64.const 0
              i64.lt_s
              if $B7
                local.get 0
                local.get 1
                i64.store offset=264
                local.get 0
                local.get 2
                i64.const 1
                i64.add
                i64.store offset=272
                br $B1
              end
              i64.const 0
              local.set 8
              local.get 0
              local.get 8
              i64.store offset=80
              i32.const 4
              local.set 5
              br $B4
            end
            loop $B8
              block $B9
                block $B10
                  local.get 5
                  i32.const 4
                  i32.ne
                  if $B11
                    block $B12
                      local.get 5
                      i32.const 1
                      i32.shr_u
                      i32.const 2
                      i32.sub
                      br_table $B11 $B12 $B10 $B12 $B12 $B12 $B12 $B12 $B9 $B12
                    end
                    br $B2
                  end
                  local.get 2
                  i64.const 1
                  i64.sub
                  local.tee 2
                  i64.const 0
                  i64.lt_s
                  if $B13
                    local.get 0
                    local.get 1
                    i64.const 4
                    i64.add
                    i64.store offset=264
                    local.get 0
                    local.get 2
                    i64.const 1
                    i64.add
                    i64.store offset=272
                    br $B1
                  end
                  i64.const 10
                  local.set 9
                  local.get 0
                  local.get 9
                  i64.store offset=88
                  i32.const 8
                  local.set 5
                  br $B10
                end
                local.get 0
                local.get 1
                local.get 5
                local.get 2
                local.get 7
                call 1
                local.tee 5
                i32.const 0
                i32.lt_s
                br_if $B0
                local.get 0
                i64.load offset=272
                local.set 2
                br $B2
              end
              local.get 2
              i64.const 2
              i64.sub
              local.tee 2
              i64.const 0
              i64.lt_s
              if $B14
                local.get 0
                local.get 1
                i64.const 20
                i64.add
                i64.store offset=264
                local.get 0
                local.get 2
                i64.const 2
                i64.add
                i64.store offset=272
                br $B1
              end
              local.get 0
              i64.load offset=96
              local.tee 10
              i64.const -1
              i64.add
              local.set 10
              local.get 0
              local.get 10
              i64.store offset=96
              local.get 10
              i64.const 0
              i64.ne
              if $B15
                i32.const 4
                local.set 5
                br $B8
              end
              br $B3
            end
          end
          local.get 2
          i64.const 1
          i64.sub
          local.tee 2
          i64.const 0
          i64.lt_s
          if $B16
            local.get 0
            local.get 1
            i64.const 28
            i64.add
            i64.store offset=264
            local.get 0
            local.get 2
            i64.const 1
            i64.add
            i64.store offset=272
            br $B1
          end
          local.get 0
          i64.load offset=8
          local.tee 11
          i64.const 0
          i64.add
          i64.const -2
          i64.and
          local.set 3
          local.get 3
          local.get 1
          i64.sub
          local.tee 4
          i64.const 4096
          i64.lt_u
          if $B17
            local.get 4
            i32.wrap_i64
            local.set 5
            br $B2
          end
          local.get 0
          local.get 3
          i64.store offset=264
          local.get 0
          local.get 2
          i64.store offset=272
          br $B1
        end
        unreachable
      end
    end)
  (func (;1;) (type 1) (param i32 i64 i32 i64 i32) (result i32)
    (local i64 i64 i32 i64 i64)
    block $B0
      block $B1
        local.get 0
        i64.load offset=80
        local.set 8
        local.get 0
        i64.load offset=88
        local.set 9
        loop $B2
          local.get 3
          i64.const 3
          i64.sub
          local.tee 3
          i64.const 0
          i64.lt_s
          if $B3
            local.get 0
            local.get 1
            i64.const 8
            i64.add
            i64.store offset=264
            local.get 0
            local.get 3
            i64.const 3
            i64.add
            i64.store offset=272
            br $B1
          end
          local.get 8
          local.get 9
          i64.add
          local.set 8
          local.get 9
          i64.const -1
          i64.add
          local.set 9
          local.get 9
          i64.const 0
          i64.ne
          if $B4
            br $B2
          end
          local.get 0
          local.get 8
          i64.store offset=80
          local.get 0
          local.get 9
          i64.store offset=88
          local.get 0
          local.get 3
          i64.store offset=272
          i32.const 20
          return
        end
        unreachable
      end
      local.get 0
      local.get 8
      i64.store offset=80
      local.get 0
      local.get 9
      i64.store offset=88
    end
    i32.const -1))
